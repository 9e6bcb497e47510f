// 把文件按接口给出的签名表单（S3 预签名 POST）直接传到存储服务，上传进度交给 onProgress。
// 批量导入（import.js）与团员档案（archive.js）共用。用 XMLHttpRequest 而不是 fetch：
// fetch 没有上传进度。

/**
 * upload 为接口返回的 { url, fields, method }；onProgress 收到 0–1 的上传比例。
 * 成功时完成；失败时以一句可以直接给用户看的中文拒绝（reject 的值是字符串）。
 */
export function uploadTo(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const data = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) data.append(name, value);
    data.append("file", file); // S3 要求文件是表单的最后一个字段
    const request = new XMLHttpRequest();
    request.open(upload.method || "POST", upload.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject("文件上传失败（存储服务拒绝了这个文件），请检查文件大小和类型后重试");
    });
    request.addEventListener("error", () => reject("文件上传失败，请检查网络后重试"));
    request.addEventListener("abort", () => reject("上传已取消"));
    request.send(data);
  });
}

/** 进度条和它的文字：show(text, fraction) 显示，hide() 隐藏。 */
export function progressDisplay(container, label, bar) {
  return {
    show(text, fraction) {
      container.hidden = false;
      label.textContent = text;
      bar.value = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
      bar.textContent = `${bar.value}%`;
    },
    hide() {
      container.hidden = true;
    },
  };
}
