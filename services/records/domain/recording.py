"""Mandatory audio-video recording (全程音像记录) of on-site acts.

Acts that touch personal liberty, life and health, or major property need an uninterrupted
audio-video record; a gap needs a stated reason. The record is append-only, so the evidence
may come after the act as an evidence entry that names it (`relates_to_entry_id`).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.records.domain.entries import Entry, EntryKind

# Acts (the `act` of a step entry) that need audio-video, per DOMAIN.md.
MANDATORY_AV_ACTS = frozenset(
    {
        "on-site-penalty",  # 当场处罚
        "inspection",  # 检查
        "sampling",  # 抽样取证
        "evidence-preservation",  # 先行登记保存
        "seal-up",  # 查封
        "seizure",  # 扣押
        "forced-demolition",  # 强制拆除
        "hearing",  # 听证
        "service",  # 送达
    }
)

STEP_ACTS = MANDATORY_AV_ACTS | {"interview", "notification", "rectification-check", "other"}


def is_audio_video(media_type: str) -> bool:
    return media_type.startswith(("video/", "audio/"))


@dataclass(frozen=True)
class RecordingFlag:
    entry_id: str
    act: str
    problem: str


def recording_flags(entries: list[Entry]) -> list[RecordingFlag]:
    """Mandatory-recording acts with neither audio-video evidence nor a reason for the gap."""
    covered: set[str] = set()
    for entry in entries:
        # A later correction may state the reason for the gap.
        if (
            entry.kind == EntryKind.correction
            and str(entry.payload.get("recording_gap_reason", "")).strip()
        ):
            covered.add(entry.corrects_entry_id)
        if entry.kind == EntryKind.evidence and any(
            is_audio_video(e.media_type) for e in entry.evidence
        ):
            target = entry.payload.get("relates_to_entry_id")
            if target:
                covered.add(str(target))
    flags: list[RecordingFlag] = []
    for entry in entries:
        if entry.kind != EntryKind.step:
            continue
        act = str(entry.payload.get("act", ""))
        if act not in MANDATORY_AV_ACTS:
            continue
        if entry.entry_id in covered or any(is_audio_video(e.media_type) for e in entry.evidence):
            continue
        if str(entry.payload.get("recording_gap_reason", "")).strip():
            continue
        flags.append(
            RecordingFlag(
                entry.entry_id,
                act,
                "mandatory audio-video recording is missing and no reason for the gap is given",
            )
        )
    return flags
