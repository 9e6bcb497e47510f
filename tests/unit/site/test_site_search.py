"""(c) The search index is segmented into Chinese words by jieba.

Material's search plugin, when jieba is importable, cuts every run of Han characters into
words and joins them with U+200B; the browser then splits the text with the configured
``separator`` (which therefore must contain U+200B). Without jieba a whole clause such as
“团省委结合各地各领域团青比” would be one token, and searching for 团青比 would find nothing.
The test tokenises the index exactly as the browser does and looks for words taken from the
middle of sentences of the notice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest


def tokens(index: dict, location_prefix: str) -> set[str]:
    separator = re.compile(index["config"]["separator"])
    words: set[str] = set()
    for doc in index["docs"]:
        if doc["location"].startswith(location_prefix):
            text = re.sub(r"<[^>]+>", " ", doc["text"])
            words.update(w for w in separator.split(text) if w)
    return words


def segmented(index: dict) -> bool:
    """Both words from mid-sentence of the notice are separate tokens."""
    words = tokens(index, "notice.html")
    return {"团青比", "使用率"} <= words


def test_index_config_is_chinese(built_site):
    config = built_site.search_index()["config"]
    assert config["lang"] == ["zh"]
    assert re.compile(config["separator"]).split("团青比\u200b编号") == ["团青比", "编号"]


def test_notice_words_are_separate_tokens(built_site):
    index = built_site.search_index()
    words = tokens(index, "notice.html")
    # “…各地各领域团青比、入团申请人…” and “…新发展团员编号使用率、团员电子档案…”
    assert "团青比" in words
    assert {"编号", "使用率"} <= words
    assert segmented(index)
    # the clause around them is not one token
    assert not any("各领域团青比" in w or "编号使用率" in w for w in words)


def test_domain_word_tuning(built_site):
    # jieba alone cuts “上传入团志愿书” as 上/传入/团/志愿书; the hook adds 上传.
    words = tokens(built_site.search_index(), "guide.html")
    assert "上传" in words
    assert "传入" not in words


def test_every_page_is_indexed(built_site):
    locations = {doc["location"].split("#")[0] for doc in built_site.search_index()["docs"]}
    assert {
        "index.html",
        "notice.html",
        "guide.html",
        "entry-steps.html",
        "faq.html",
        "rules.html",
        "allocation.html",
        "downloads.html",
        "console/index.html",
    } <= locations


@pytest.fixture(scope="module")
def index_without_jieba(build_site, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A non-strict build with jieba made unimportable (the strict one refuses to build)."""
    tmp = tmp_path_factory.mktemp("no-jieba")
    blocker = tmp / "blocker" / "jieba"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('jieba blocked for this test')\n")
    out = tmp / "out"
    result = build_site(out, strict=False, extra_env={"PYTHONPATH": str(blocker.parent)})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(Path(out, "search", "search_index.json").read_text(encoding="utf-8"))


def test_the_check_fails_without_jieba(index_without_jieba):
    assert not segmented(index_without_jieba)
    assert "团青比" not in tokens(index_without_jieba, "notice.html")
