"""The simulator's knobs: time, delays, service liveness, where it is served."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Delay:
    """A delay distribution in seconds: ``"3"`` (fixed), ``"2:5"`` (uniform) or
    ``"normal:3:0.5"`` (gaussian, never below zero)."""

    kind: str = "fixed"
    a: float = 0.0
    b: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Delay:
        parts = text.split(":")
        try:
            if len(parts) == 1:
                return cls("fixed", float(parts[0]))
            if parts[0] == "normal" and len(parts) == 3:
                return cls("normal", float(parts[1]), float(parts[2]))
            if len(parts) == 2:
                return cls("uniform", float(parts[0]), float(parts[1]))
        except ValueError:
            pass
        raise ValueError(f"not a delay: {text!r} (use 3, 2:5 or normal:3:0.5)")

    def sample(self, rng: random.Random) -> float:
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        if self.kind == "normal":
            return max(0.0, rng.gauss(self.a, self.b))
        return self.a


@dataclass(frozen=True)
class SimConfig:
    time_scale: float = 1.0
    boot_time: Delay = field(default_factory=lambda: Delay("uniform", 2.0, 4.0))
    delete_time: Delay = field(default_factory=lambda: Delay("fixed", 1.0))
    action_time: Delay = field(default_factory=lambda: Delay("fixed", 1.0))
    service_down_time: float = 60.0
    host_monitor_delay: float = 30.0
    redis_url: str | None = None
    stream_prefix: str = "openstack"
    seed: int | None = None

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

    @property
    def scaled_service_down_time(self) -> float:
        return self.scaled(self.service_down_time)
