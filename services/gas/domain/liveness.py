"""Device liveness and what leaves a venue unprotected.

A device silent past its kind's timeout is offline (default: 3 missed 60 s heartbeats). A
fault (sensor line open or shorted, power, battery) must surface within 100 s (GB 16808).
A venue is protected only with at least one detector and one valve online and without
faults; an offline or faulty device is itself an enforcement matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DeviceKind(StrEnum):
    detector = "gas_detector"
    valve = "shutoff_valve"
    controller = "controller"


HEARTBEAT = {k: timedelta(seconds=60) for k in DeviceKind}
MISSED_BEFORE_OFFLINE = 3
FAULT_SURFACE_WITHIN = timedelta(seconds=100)


@dataclass(frozen=True)
class DeviceStatus:
    device_id: str
    kind: DeviceKind
    last_seen: datetime | None
    fault: str = ""  # empty when healthy


def is_offline(d: DeviceStatus, now: datetime) -> bool:
    if d.last_seen is None:
        return True
    return now - d.last_seen > HEARTBEAT[d.kind] * MISSED_BEFORE_OFFLINE


def unprotected_reasons(devices: list[DeviceStatus], now: datetime) -> list[str]:
    """Why a venue is not protected; [] when it is."""
    reasons = []
    for kind, label in (
        (DeviceKind.detector, "gas detector"),
        (DeviceKind.valve, "shut-off valve"),
    ):
        mine = [d for d in devices if d.kind is kind]
        if not mine:
            reasons.append(f"no {label} installed")
            continue
        working = [d for d in mine if not is_offline(d, now) and not d.fault]
        if not working:
            offline = [d.device_id for d in mine if is_offline(d, now)]
            faulty = [f"{d.device_id} ({d.fault})" for d in mine if d.fault]
            detail = "; ".join(
                part
                for part in (
                    f"offline: {', '.join(offline)}" if offline else "",
                    f"faulty: {', '.join(faulty)}" if faulty else "",
                )
                if part
            )
            reasons.append(f"no working {label}: {detail}")
    return reasons


class Gap(StrEnum):
    """Why a venue counts as unprotected, one code per missing safeguard."""

    no_detector = "no-detector"
    no_valve = "no-valve"
    detector_offline = "detector-offline"
    valve_offline = "valve-offline"
    detector_fault = "detector-fault"
    valve_fault = "valve-fault"


def device_status(d: DeviceStatus, now: datetime) -> str:
    """online, offline or fault; a fault wins because the device is talking but not guarding."""
    if d.fault:
        return "fault"
    return "offline" if is_offline(d, now) else "online"


def gaps(devices: list[DeviceStatus], now: datetime) -> list[Gap]:
    """The coded form of `unprotected_reasons`; [] when the venue is protected."""
    out: list[Gap] = []
    for kind, missing, offline, fault in (
        (DeviceKind.detector, Gap.no_detector, Gap.detector_offline, Gap.detector_fault),
        (DeviceKind.valve, Gap.no_valve, Gap.valve_offline, Gap.valve_fault),
    ):
        mine = [device_status(d, now) for d in devices if d.kind is kind]
        if not mine:
            out.append(missing)
        elif "online" not in mine:
            if "offline" in mine:
                out.append(offline)
            if "fault" in mine:
                out.append(fault)
    return out
