from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhtj.domain.archive import (
    NEW_ARCHIVE,
    Archive,
    Transition,
    accept_upload,
    approve,
    can_transfer,
    counts_as_new_member,
    decide_change,
    reject,
    request_change,
)
from zhtj.domain.errors import TransitionNotAllowed
from zhtj.domain.glossary import ArchiveState, OrgKind

NOT_CERTIFIED = NEW_ARCHIVE
PENDING = Archive(ArchiveState.PENDING, 1)
REJECTED = Archive(ArchiveState.REJECTED, 1)
CERTIFIED = Archive(ArchiveState.CERTIFIED, 1)
CHANGE_REQUESTED = Archive(ArchiveState.CERTIFIED, 1, change_requested=True)
CHANGE_APPROVED = Archive(ArchiveState.CERTIFIED, 1, change_approved=True)
EVERY_ARCHIVE = [NOT_CERTIFIED, PENDING, REJECTED, CERTIFIED, CHANGE_REQUESTED, CHANGE_APPROVED]

BRANCH_LEVEL = [OrgKind.BRANCH, OrgKind.GENERAL_BRANCH]
COMMITTEE_LEVEL = [kind for kind in OrgKind if kind not in BRANCH_LEVEL]


def refusal(action: Callable[[], Transition], archive: Archive) -> str:
    with pytest.raises(TransitionNotAllowed) as caught:
        action()
    assert archive.state.value in caught.value.message  # every refusal names the state
    return caught.value.code


def test_new_archive_is_not_certified_and_empty() -> None:
    assert NEW_ARCHIVE == Archive(
        ArchiveState.NOT_CERTIFIED, 0, change_approved=False, change_requested=False
    )


# --- upload ------------------------------------------------------------------------------


@pytest.mark.parametrize("archive", [NOT_CERTIFIED, PENDING, REJECTED, CHANGE_APPROVED])
@pytest.mark.parametrize("uploader", BRANCH_LEVEL)
def test_a_branch_level_upload_waits_for_approval(archive: Archive, uploader: OrgKind) -> None:
    # 操作指引 §3.2.1: 上传成功后，待上级团委审批
    transition = accept_upload(archive, uploader)
    assert transition == Transition(
        archive.state, ArchiveState.PENDING, Archive(ArchiveState.PENDING, archive.version + 1), None
    )


@pytest.mark.parametrize("archive", [NOT_CERTIFIED, PENDING, REJECTED, CHANGE_APPROVED])
@pytest.mark.parametrize("uploader", COMMITTEE_LEVEL)
def test_a_committee_level_upload_is_certified_at_once(archive: Archive, uploader: OrgKind) -> None:
    # 操作指引 §3.2.2: 团的领导机关/团委/团工委管理员上传 … 上传成功后无需审批
    transition = accept_upload(archive, uploader)
    assert transition.to_state is ArchiveState.CERTIFIED
    assert transition.archive == Archive(ArchiveState.CERTIFIED, archive.version + 1)


def test_the_approved_change_is_used_up_by_one_replacement() -> None:
    replaced = accept_upload(CHANGE_APPROVED, OrgKind.COMMITTEE).archive
    assert replaced == Archive(ArchiveState.CERTIFIED, 2)
    assert refusal(lambda: accept_upload(replaced, OrgKind.COMMITTEE), replaced) == "change_not_approved"


@pytest.mark.parametrize(
    ("archive", "code"), [(CERTIFIED, "change_not_approved"), (CHANGE_REQUESTED, "change_pending")]
)
@pytest.mark.parametrize("uploader", list(OrgKind))
def test_a_certified_archive_is_replaced_only_after_an_approved_change(
    archive: Archive, code: str, uploader: OrgKind
) -> None:
    # 操作指引 §4.5: 经上级团委审批同意后，重新提交电子档案，否则无权更改
    assert refusal(lambda: accept_upload(archive, uploader), archive) == code


# --- approval ----------------------------------------------------------------------------


def test_approving_the_pending_version_certifies() -> None:
    transition = approve(PENDING, 1)
    assert transition == Transition(ArchiveState.PENDING, ArchiveState.CERTIFIED, CERTIFIED, None)


def test_rejecting_the_pending_version_needs_a_reason_and_keeps_it() -> None:
    transition = reject(PENDING, 1, "  第3页缺页，请重新扫描  ")
    assert transition == Transition(
        ArchiveState.PENDING, ArchiveState.REJECTED, REJECTED, "第3页缺页，请重新扫描"
    )


@pytest.mark.parametrize("reason", ["", "   ", "\u3000"])
def test_a_rejection_without_a_reason_is_refused(reason: str) -> None:
    # 操作指引 §3.3.1: 如不同意，须写明理由
    assert refusal(lambda: reject(PENDING, 1, reason), PENDING) == "reason_required"


def test_a_very_long_reason_is_refused() -> None:
    assert refusal(lambda: reject(PENDING, 1, "理" * 501), PENDING) == "reason_too_long"
    assert reject(PENDING, 1, "理" * 500).reason == "理" * 500


@pytest.mark.parametrize("archive", [NOT_CERTIFIED, REJECTED, CERTIFIED, CHANGE_REQUESTED, CHANGE_APPROVED])
def test_only_a_pending_archive_can_be_decided(archive: Archive) -> None:
    version = archive.version
    assert refusal(lambda: approve(archive, version), archive) == "not_pending"
    assert refusal(lambda: reject(archive, version, "理由"), archive) == "not_pending"


def test_a_decision_on_a_superseded_version_is_refused() -> None:
    # v1 is uploaded and its approval link emailed; v2 is uploaded before anyone clicks.
    first = accept_upload(NOT_CERTIFIED, OrgKind.BRANCH).archive
    second = accept_upload(first, OrgKind.BRANCH).archive
    assert second == Archive(ArchiveState.PENDING, 2)
    assert refusal(lambda: approve(second, 1), second) == "version_superseded"
    assert refusal(lambda: reject(second, 1, "理由"), second) == "version_superseded"
    # Still superseded after v2 itself was decided.
    certified = approve(second, 2).archive
    with pytest.raises(TransitionNotAllowed) as caught:
        approve(certified, 1)
    assert caught.value.code == "version_superseded"
    assert "第2版" in caught.value.message


def test_a_decision_on_a_version_that_does_not_exist_is_refused() -> None:
    assert refusal(lambda: approve(PENDING, 2), PENDING) == "version_unknown"


# --- change requests (§4.5) ----------------------------------------------------------------


def test_a_change_request_is_made_on_a_certified_archive() -> None:
    transition = request_change(CERTIFIED, "上传错误，误传了他人的志愿书")
    assert transition == Transition(
        ArchiveState.CERTIFIED, ArchiveState.CERTIFIED, CHANGE_REQUESTED, "上传错误，误传了他人的志愿书"
    )
    assert refusal(lambda: request_change(CERTIFIED, " "), CERTIFIED) == "reason_required"


@pytest.mark.parametrize(
    ("archive", "code"),
    [
        (NOT_CERTIFIED, "change_not_applicable"),
        (PENDING, "change_not_applicable"),
        (REJECTED, "change_not_applicable"),
        (CHANGE_REQUESTED, "change_already_requested"),
        (CHANGE_APPROVED, "change_already_approved"),
    ],
)
def test_a_change_request_is_refused_elsewhere(archive: Archive, code: str) -> None:
    assert refusal(lambda: request_change(archive, "理由"), archive) == code


def test_an_approved_change_allows_one_replacement() -> None:
    transition = decide_change(CHANGE_REQUESTED, True, None)
    assert transition.archive == CHANGE_APPROVED
    assert transition.reason is None
    assert decide_change(CHANGE_REQUESTED, True, " 同意 ").reason == "同意"


def test_a_refused_change_needs_a_reason_and_leaves_the_archive_certified() -> None:
    transition = decide_change(CHANGE_REQUESTED, False, "原档案无误")
    assert transition.archive == CERTIFIED
    assert transition.reason == "原档案无误"
    assert (
        refusal(lambda: decide_change(CHANGE_REQUESTED, False, None), CHANGE_REQUESTED) == "reason_required"
    )
    assert refusal(lambda: decide_change(CHANGE_REQUESTED, False, ""), CHANGE_REQUESTED) == "reason_required"


@pytest.mark.parametrize("archive", [NOT_CERTIFIED, PENDING, REJECTED, CERTIFIED, CHANGE_APPROVED])
@pytest.mark.parametrize("approved", [True, False])
def test_a_change_decision_needs_a_waiting_request(archive: Archive, approved: bool) -> None:
    assert refusal(lambda: decide_change(archive, approved, "理由"), archive) == "no_change_requested"


# --- what certification means (Q&A §5.3–5.4, 操作指引 §4.4) --------------------------------


@pytest.mark.parametrize("archive", EVERY_ARCHIVE)
def test_only_certified_members_count_and_can_transfer(archive: Archive) -> None:
    certified = archive.state is ArchiveState.CERTIFIED
    assert counts_as_new_member(archive) is certified
    assert can_transfer(archive) is certified


def test_the_whole_guide_workflow() -> None:
    archive = NEW_ARCHIVE
    archive = accept_upload(archive, OrgKind.BRANCH).archive  # 上传档案 → 待审批
    archive = reject(archive, 1, "未加盖公章").archive  # 审批不通过 → 替换档案
    assert archive.state is ArchiveState.REJECTED and not counts_as_new_member(archive)
    archive = accept_upload(archive, OrgKind.BRANCH).archive
    archive = approve(archive, 2).archive  # 团员身份已认证
    assert counts_as_new_member(archive) and can_transfer(archive)
    archive = request_change(archive, "上传错误").archive
    archive = decide_change(archive, True, None).archive
    archive = accept_upload(archive, OrgKind.GENERAL_BRANCH).archive
    assert archive == Archive(ArchiveState.PENDING, 3)
    archive = approve(archive, 3).archive
    assert archive == Archive(ArchiveState.CERTIFIED, 3)


@pytest.mark.parametrize(
    ("state", "version", "approved", "requested"),
    [
        (ArchiveState.NOT_CERTIFIED, 1, False, False),
        (ArchiveState.PENDING, 0, False, False),
        (ArchiveState.CERTIFIED, -1, False, False),
        (ArchiveState.PENDING, 1, True, False),
        (ArchiveState.REJECTED, 1, False, True),
        (ArchiveState.CERTIFIED, 1, True, True),
    ],
)
def test_unreachable_records_cannot_be_built(
    state: ArchiveState, version: int, approved: bool, requested: bool
) -> None:
    with pytest.raises(ValueError):
        Archive(state, version, change_approved=approved, change_requested=requested)


# --- property: any sequence of actions keeps the invariants ---------------------------------

actions = st.one_of(
    st.tuples(st.just("upload"), st.sampled_from(list(OrgKind))),
    st.tuples(st.just("approve"), st.integers(0, 4)),
    st.tuples(st.just("reject"), st.integers(0, 4)),
    st.tuples(st.just("request_change"), st.just(None)),
    st.tuples(st.just("decide_change"), st.booleans()),
)


def _apply(archive: Archive, action: str, argument: object) -> Transition:
    if action == "upload":
        assert isinstance(argument, OrgKind)
        return accept_upload(archive, argument)
    if action == "approve":
        assert isinstance(argument, int)
        return approve(archive, argument)
    if action == "reject":
        assert isinstance(argument, int)
        return reject(archive, argument, "理由")
    if action == "request_change":
        return request_change(archive, "理由")
    assert isinstance(argument, bool)
    return decide_change(archive, argument, "理由")


@settings(database=None, max_examples=300)
@given(st.lists(actions, max_size=25))
def test_any_sequence_of_actions_keeps_the_invariants(steps: list[tuple[str, object]]) -> None:
    archive = NEW_ARCHIVE
    uploads = 0
    for action, argument in steps:
        try:
            transition = _apply(archive, action, argument)
        except TransitionNotAllowed as refused:
            assert archive.state.value in refused.message
            continue
        assert transition.from_state is archive.state
        assert transition.to_state is transition.archive.state
        if action == "upload":
            uploads += 1
        elif action in ("approve", "reject"):
            assert archive.state is ArchiveState.PENDING and argument == archive.version
        archive = transition.archive
        assert archive.version == uploads  # one version per accepted upload, never reused
        assert counts_as_new_member(archive) == (archive.state is ArchiveState.CERTIFIED)
