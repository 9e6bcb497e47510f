"""The robustness corpus: every damaged or hostile file gets a verdict within the bound, and
nothing crashes or hangs the test process (issue 5 part 2). The corpus is made here."""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.readers import pdf_corpus as corpus
from zhtj.readers.pdf import DEFAULT_LIMITS, PdfLimits, PdfVerdict, check_pdf

# A hang guard, not a timing assertion: each check is bounded by DEFAULT_LIMITS.timeout_s.
pytestmark = pytest.mark.timeout(int(DEFAULT_LIMITS.timeout_s) * 4 + 60)

ANY = None  # any verdict will do, as long as there is one


@functools.cache
def scan() -> bytes:
    return corpus.scanner_pdf(pages=8)


@functools.cache
def text() -> bytes:
    # > 64 KB so that 64 KB of damage "in the middle" leaves pages on both sides
    return corpus.text_pdf(pages=16, lines_per_page=120)


@functools.cache
def phone() -> bytes:
    return corpus.phone_app_pdf(pages=6)


@functools.cache
def xref_stream_pdf() -> bytes:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(text())) as pdf:
        buffer = io.BytesIO()
        pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()


@functools.cache
def bomb() -> bytes:
    return corpus.zlib_bomb()  # ≈ 1 MB that inflates to 1 GiB


CASES: dict[str, tuple[Callable[[], bytes], set[str] | None]] = {}


def case(name: str, make: Callable[[], bytes], expect: set[str] | None) -> None:
    CASES[name] = (make, expect)


for fraction in (0.05, 0.33, 0.5, 0.9, 0.999):
    for source_name, source in (("scan", scan), ("text", text), ("xrefstream", xref_stream_pdf)):
        case(
            f"truncated-{source_name}-{fraction}",
            functools.partial(lambda s, f: corpus.truncate(s(), f), source, fraction),
            {"corrupt"},
        )
        # a cut file whose end was "repaired" with a %%EOF: the missing data must show
        case(
            f"truncated-eof-{source_name}-{fraction}",
            functools.partial(lambda s, f: corpus.truncate(s(), f) + b"\n%%EOF\n", source, fraction),
            {"corrupt"},
        )
case("truncated-last-bytes", lambda: text()[:-3], {"corrupt"})
for seed in range(4):
    for source_name, source in (("scan", scan), ("text", text), ("phone", phone)):
        # a few flipped bits in JPEG data are invisible to a structural check: any verdict
        case(
            f"bitflips-{source_name}-{seed}",
            functools.partial(lambda s, n: corpus.flip_bits(s(), 16, n), source, seed),
            ANY,
        )
for seed in range(3):
    for source_name, source in (("scan", scan), ("text", text), ("phone", phone)):
        case(
            f"random-64k-middle-{source_name}-{seed}",
            functools.partial(lambda s, n: corpus.random_middle(s(), 64 * 1024, seed=n), source, seed),
            {"corrupt"},
        )
for algorithm in ("RC4-40", "RC4-128", "AES-128", "AES-256", "AES-256-R5"):
    case(
        f"encrypted-user-{algorithm}",
        functools.partial(
            lambda a: corpus.encrypt(corpus.text_pdf(), user="user", owner="owner", algorithm=a), algorithm
        ),
        {"encrypted"},
    )
    case(
        f"encrypted-owner-only-{algorithm}",
        functools.partial(lambda a: corpus.encrypt(corpus.text_pdf(), user="", owner="owner", algorithm=a), algorithm),
        {"encrypted"},
    )
for kind in ("self", "parent", "deep"):
    case(f"page-tree-loop-{kind}", functools.partial(corpus.page_tree_loop_pdf, kind), {"corrupt", "too_complex"})
for kind in ("self", "pair"):
    # pypdf 7.1.1 stops at the repeated offset; the objects themselves are intact
    case(f"circular-prev-{kind}", functools.partial(corpus.circular_prev_pdf, kind), ANY)
case("bomb-content-stream", lambda: corpus.bomb_pdf("content", bomb()), {"too_complex"})
case("bomb-content-pypdf-filter-chain", lambda: corpus.bomb_pdf("content-hex", bomb()), {"too_complex"})
case("bomb-image", lambda: corpus.bomb_pdf("image", bomb()), {"too_complex"})
case("nested-arrays", corpus.nested_pdf, {"corrupt", "too_complex"})
case("renamed-xlsx", corpus.xlsx_bytes, {"not_pdf"})
case("zero-bytes", lambda: b"", {"empty"})
case("25-mb", lambda: corpus.pdf_of_size(25 * corpus.MiB), {"too_large"})
case("no-pages", corpus.no_pages_pdf, {"no_pages"})
case(
    "header-then-garbage",
    lambda: b"%PDF-1.7\n" + corpus.random_middle(bytes(200_000), 200_000) + b"\n%%EOF\n",
    {"corrupt"},
)
case(
    "comment-flood",  # 200,000 comment lines where an object should start (pypdf bounds these)
    lambda: corpus.text_pdf(pages=2).replace(b"\n1 0 obj", b"\n" + b"%c\n" * 200_000 + b"1 0 obj", 1),
    ANY,
)
case("header-only", lambda: b"%PDF-1.4\n%%EOF\n", {"corrupt"})


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_file_gets_a_verdict(name: str) -> None:
    make, expect = CASES[name]
    verdict = check_pdf(make())
    assert isinstance(verdict, PdfVerdict)
    assert verdict.ok == (not verdict.errors)
    assert all(finding.message for finding in verdict.errors + verdict.warnings)
    if expect is not None:
        assert not verdict.ok, verdict
        assert {finding.code for finding in verdict.errors} <= expect, verdict
    assert multiprocessing.active_children() == []


def test_refusal_messages_are_chinese() -> None:
    for name in ("renamed-xlsx", "encrypted-owner-only-AES-256", "bomb-image", "page-tree-loop-self"):
        verdict = check_pdf(CASES[name][0]())
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in f.message) for f in verdict.errors)


def test_encrypted_message_is_the_one_the_guide_reader_expects() -> None:
    verdict = check_pdf(CASES["encrypted-owner-only-RC4-128"][0]())
    assert verdict.errors[0].message.startswith("文件已加密，请上传未加密的PDF")


def test_time_bound_gives_too_complex() -> None:
    # Our own inflate limits raised out of the way: only the wall-clock bound can stop it.
    limits = PdfLimits(timeout_s=0.3, max_stream_bytes=2**34, max_inflate_total=2**35)
    verdict = check_pdf(corpus.bomb_pdf("content", bomb()), limits=limits)
    assert [f.code for f in verdict.errors] == ["too_complex"]
    assert "0.3 秒" in verdict.errors[0].message


def test_memory_bound_gives_too_complex() -> None:
    # pypdf decodes this chain in memory up to its 64 MiB limit: more than the 32 MiB bound.
    limits = PdfLimits(memory_bytes=32 * corpus.MiB)
    verdict = check_pdf(corpus.bomb_pdf("content-hex", bomb()), limits=limits)
    assert [f.code for f in verdict.errors] == ["too_complex"]
    assert "内存" in verdict.errors[0].message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(st.tuples(st.integers(0, 20_000), st.integers(1, 400)), min_size=1, max_size=4),
    junk=st.binary(min_size=0, max_size=400),
)
def test_any_damage_to_a_small_pdf_gets_a_verdict(cuts: list[tuple[int, int]], junk: bytes) -> None:
    data = bytearray(corpus.text_pdf(pages=3, lines_per_page=20))
    for start, length in cuts:
        start %= len(data)
        data[start : start + length] = junk[:length]
    verdict = check_pdf(bytes(data))
    assert isinstance(verdict, PdfVerdict)
