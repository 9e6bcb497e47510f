// 在页面里显示《入团志愿书》PDF（审批链接页 approve.html 与控制台审批页 approvals.html 共用）。
//
// 用 pdf.js 把 PDF 逐页画在 <canvas> 上，而不是用 <iframe>/<embed>：安卓 Chrome 不能在页面里
// 显示 PDF（只会提示下载）。pdf.js 由构建时的生成器复制到站点的 assets/vendor/pdfjs/
// （infra/site_generators/pdfjs.py），与站点同源加载，不访问任何外部网站；
// 不用 eval（isEvalSupported: false）、不用 WebAssembly（useWasm: false），内容安全策略无需放宽。
//
// 用法：const viewer = await showPdf(container, url, { title }) —— container 里要有
//   [data-pdf-canvas] <canvas>、[data-pdf-status] 状态文字、[data-pdf-prev]/[data-pdf-next] 按钮、
//   [data-pdf-page] 页码、[data-pdf-download] 下载链接；
// 完成后 container.dataset.state 为 "ready"（第一页已画出）或 "error"，
// container.dataset.renderedPage 为当前画出的页码。

const VENDOR = new URL("../../assets/vendor/pdfjs/", import.meta.url);

let library = null;

async function pdfjs() {
  if (!library) {
    library = import(new URL("pdf.min.mjs", VENDOR).href).then((module) => {
      module.GlobalWorkerOptions.workerSrc = new URL("pdf.worker.min.mjs", VENDOR).href;
      return module;
    });
  }
  return library;
}

/** 显示 url 处的 PDF；返回 { pages, show(n), destroy() }。 */
export async function showPdf(container, url, { title = "《入团志愿书》" } = {}) {
  const canvas = container.querySelector("[data-pdf-canvas]");
  const status = container.querySelector("[data-pdf-status]");
  const prev = container.querySelector("[data-pdf-prev]");
  const next = container.querySelector("[data-pdf-next]");
  const pageLabel = container.querySelector("[data-pdf-page]");
  const download = container.querySelector("[data-pdf-download]");
  container.dataset.state = "loading";
  if (download) {
    download.href = url;
    download.hidden = false;
  }
  const say = (text) => {
    if (status) {
      status.textContent = text;
      status.hidden = !text;
    }
  };
  say(`正在加载${title}……`);

  let doc;
  try {
    const lib = await pdfjs();
    doc = await lib.getDocument({
      url,
      isEvalSupported: false,
      useWasm: false,
      wasmUrl: new URL("wasm/", VENDOR).href,
      cMapUrl: new URL("cmaps/", VENDOR).href,
      cMapPacked: true,
      standardFontDataUrl: new URL("standard_fonts/", VENDOR).href,
      iccUrl: new URL("iccs/", VENDOR).href,
      // 一次取回整个文件（≤ 20 MB）：预签名地址几分钟后过期，翻页时不必再请求。
      disableRange: true,
      disableStream: true,
      disableAutoFetch: true,
      withCredentials: false,
    }).promise;
  } catch (error) {
    container.dataset.state = "error";
    say(`${title}加载失败。请使用“下载 PDF”查看，或稍后刷新页面重试。`);
    return { pages: 0, show: async () => {}, destroy: () => {} };
  }

  let current = 1;
  let task = null;

  async function show(number) {
    current = Math.min(Math.max(1, number), doc.numPages);
    if (task) task.cancel();
    const page = await doc.getPage(current);
    const natural = page.getViewport({ scale: 1 });
    const width = Math.max(240, container.clientWidth || natural.width);
    const viewport = page.getViewport({ scale: width / natural.width });
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `${title}第 ${current} 页（共 ${doc.numPages} 页）`);
    task = page.render({
      canvas,
      viewport,
      transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0],
    });
    try {
      await task.promise;
    } catch (error) {
      if (error && error.name === "RenderingCancelledException") return;
      throw error;
    } finally {
      task = null;
    }
    if (pageLabel) pageLabel.textContent = `第 ${current} / ${doc.numPages} 页`;
    if (prev) prev.disabled = current <= 1;
    if (next) next.disabled = current >= doc.numPages;
    container.dataset.renderedPage = String(current);
    container.dataset.pages = String(doc.numPages);
  }

  prev?.addEventListener("click", () => show(current - 1));
  next?.addEventListener("click", () => show(current + 1));
  try {
    await show(1);
    say("");
    container.dataset.state = "ready";
  } catch (error) {
    container.dataset.state = "error";
    say(`${title}显示失败。请使用“下载 PDF”查看。`);
  }
  return { pages: doc.numPages, show, destroy: () => doc.destroy() };
}

/** 建一个 PDF 显示区的内容（控制台审批页动态插入时用；审批链接页直接写在页面里）。 */
export function pdfViewerMarkup(h, idPrefix) {
  return [
    h("p", { class: "zhtj-hint", "data-pdf-status": true, role: "status", id: `${idPrefix}-status` }),
    h("canvas", { class: "zhtj-pdf__canvas", "data-pdf-canvas": true, id: `${idPrefix}-canvas` }),
    h(
      "div",
      { class: "zhtj-pdf__nav" },
      h("button", { type: "button", class: "zhtj-button zhtj-button--secondary", "data-pdf-prev": true }, "上一页"),
      h("span", { class: "zhtj-pdf__page", "data-pdf-page": true, "aria-live": "polite" }),
      h("button", { type: "button", class: "zhtj-button zhtj-button--secondary", "data-pdf-next": true }, "下一页"),
      h("a", { "data-pdf-download": true, href: "#", target: "_blank", rel: "noopener", hidden: true }, "下载 PDF"),
    ),
  ];
}
