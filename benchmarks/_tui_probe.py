"""In-app probe for benchmarks/tui.py `--probe`: where the app's UI thread spends its CPU.

    python benchmarks/_tui_probe.py --config CFG     (env TUI_BENCH_PROBE=OUT.json)

Runs the real CLI (`tui_backup.cli:main`) after wrapping a few Textual and Jobs-pane methods
with counters of calls and of the UI thread's CPU time (`time.thread_time`, so the machine's
load barely matters: a wall-clock figure on a busy machine is noise). Written at exit:

  frames      Screen._on_timer_update that wrote something (count, CPU, bytes to the terminal)
  layouts     Screen._refresh_layout (a full layout pass of the screen)
  polls       JobsPane.poll_selected / poll_catalog / _select (count, CPU)
  keys        per key press: the UI thread's CPU from the key event to the end of the first
              frame written after it (what the key waited behind included), and the frame's size
"""

from __future__ import annotations

import atexit
import cProfile
import functools
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class Probe:
    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = {}  # name -> [count, cpu_s]
        self.keys: list[dict[str, float]] = []
        self.frames: list[dict[str, float]] = []
        self.pending_key: tuple[float, float] | None = None  # (thread cpu, wall) at the key
        self.bytes = 0
        self.frame_bytes = 0
        self.layouts = 0
        self.key_marks: dict[str, float] = {}  # "idle" / "resume" after the pending key
        self.walls: dict[str, list[float]] = {}  # name -> [wall_s, max_wall_s]
        # TUI_BENCH_PROBE_PROFILE=1: cProfile of every key press, from the key event to the
        # end of its frame (written beside OUT as OUT.keys.prof).
        self.profiler = cProfile.Profile() if os.environ.get("TUI_BENCH_PROBE_PROFILE") else None

    def add(self, name: str, cpu: float) -> None:
        slot = self.totals.setdefault(name, [0, 0.0])
        slot[0] += 1
        slot[1] += cpu

    def add_wall(self, name: str, wall: float) -> None:
        """Wall time of a call (off-CPU waits: locks, I/O), its sum and its maximum."""
        slot = self.walls.setdefault(name, [0.0, 0.0])
        slot[0] += wall
        slot[1] = max(slot[1], wall)

    def dump(self, path: str) -> None:
        out = {"totals": {k: {"count": int(v[0]), "cpu_ms": v[1] * 1000} for k, v in self.totals.items()},
               "keys": self.keys, "frames": self.frames, "bytes": self.bytes,
               "walls": {k: {"wall_ms": v[0] * 1000, "max_ms": v[1] * 1000} for k, v in self.walls.items()}}
        Path(path).write_text(json.dumps(out))
        if self.profiler is not None:
            self.profiler.dump_stats(path + ".keys.prof")


PROBE = Probe()


def timed(cls: type, name: str, label: str) -> None:
    original: Callable[..., Any] = getattr(cls, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t, w = time.thread_time(), time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            PROBE.add(label, time.thread_time() - t)
            PROBE.add_wall(label, time.monotonic() - w)

    setattr(cls, name, wrapper)


def install() -> None:
    # First the app's package: it sets TEXTUAL_FPS, which Textual reads once, when imported.
    # (Importing Textual first ran the probed app at Textual's default 60 frames a second.)
    importlib.import_module("tui_backup.tui")
    from textual import events
    from textual.app import App
    from textual.drivers.linux_driver import LinuxDriver
    from textual.screen import Screen

    from tui_backup.tui.widgets.jobs import JobsPane
    from tui_backup.tui.widgets.log_tail import LogTailView

    timed(Screen, "_refresh_layout", "layout")
    refresh_layout = Screen._refresh_layout

    def counted_layout(self: Screen[Any], *args: Any, **kwargs: Any) -> None:
        PROBE.layouts += 1
        refresh_layout(self, *args, **kwargs)

    Screen._refresh_layout = counted_layout  # type: ignore[method-assign]
    timed(App, "_display", "display")
    for name in ("poll_selected", "poll_catalog", "_select", "_show_progress", "on_job_events"):
        timed(JobsPane, name, f"jobs.{name}")
    timed(LogTailView, "render_lines", "logtail.render_lines")
    from textual._styles_cache import StylesCache

    render_widget = StylesCache.render_widget

    def per_widget(self: StylesCache, widget: Any, crop: Any) -> Any:
        t = time.thread_time()
        try:
            return render_widget(self, widget, crop)
        finally:
            name = f"render.{type(widget).__name__}"
            PROBE.add(name, time.thread_time() - t)
            if PROBE.pending_key is not None:
                PROBE.add("key." + name, time.thread_time() - t)

    StylesCache.render_widget = per_widget  # type: ignore[method-assign]

    from textual.message_pump import MessagePump

    dispatch = MessagePump._dispatch_message

    async def dispatch_message(self: MessagePump, message: Any) -> Any:
        if PROBE.pending_key is None:
            return await dispatch(self, message)
        t = time.thread_time()
        try:
            return await dispatch(self, message)
        finally:
            PROBE.add(f"key.msg.{type(message).__name__}->{type(self).__name__}", time.thread_time() - t)

    MessagePump._dispatch_message = dispatch_message  # type: ignore[method-assign]
    timed(App, "_check_bindings", "app._check_bindings")

    write = LinuxDriver.write

    def counting_write(self: LinuxDriver, data: str) -> None:
        n = len(data.encode("utf-8", "replace"))
        PROBE.bytes += n
        PROBE.frame_bytes += n
        write(self, data)

    LinuxDriver.write = counting_write  # type: ignore[method-assign]

    on_timer_update = Screen._on_timer_update

    def frame(self: Screen[Any]) -> None:
        t, w = time.thread_time(), time.monotonic()
        PROBE.frame_bytes = 0
        layouts = PROBE.layouts
        dirty = sorted(f"{type(w).__name__}#{w.id}" if w.id else type(w).__name__ for w in self._dirty_widgets)
        on_timer_update(self)
        cpu = time.thread_time() - t
        if PROBE.frame_bytes:
            PROBE.add("frame", cpu)
            PROBE.frames.append({"cpu_ms": cpu * 1000, "bytes": PROBE.frame_bytes, "at": w,
                                 "layout": PROBE.layouts - layouts, "dirty": dirty})
            if PROBE.pending_key is not None:
                PROBE.frames[-1]["key"] = 1
                kt, kw = PROBE.pending_key
                PROBE.pending_key = None
                if PROBE.profiler is not None:
                    PROBE.profiler.disable()
                PROBE.keys.append({"cpu_ms": (time.thread_time() - kt) * 1000, "frame_cpu_ms": cpu * 1000,
                                   "wall_ms": (time.monotonic() - kw) * 1000, "at": kw,
                                   "to_frame_ms": (w - kw) * 1000, "frame_wall_ms": (time.monotonic() - w) * 1000,
                                   **{f"{k}_ms": (v - kw) * 1000 for k, v in PROBE.key_marks.items()}, "bytes": PROBE.frame_bytes,
                                   "layout": PROBE.layouts - layouts, "dirty": dirty})
        else:
            PROBE.add("frame.empty", cpu)

    Screen._on_timer_update = frame  # type: ignore[method-assign]

    # When, after a key, the screen went idle and resumed its frame timer (Textual schedules
    # a frame only then): splits the wait before the key's frame.
    from textual.timer import Timer

    resume = Timer.resume

    def timer_resume(self: Timer) -> None:
        if PROBE.pending_key is not None and self.name == "screen_update" and PROBE.key_marks.get("resume") is None:
            PROBE.key_marks["resume"] = time.monotonic()
        resume(self)

    Timer.resume = timer_resume  # type: ignore[method-assign]
    on_idle = Screen._on_idle

    async def screen_idle(self: Screen[Any], event: events.Idle) -> None:
        if PROBE.pending_key is not None and PROBE.key_marks.get("idle") is None:
            PROBE.key_marks["idle"] = time.monotonic()
        await on_idle(self, event)

    Screen._on_idle = screen_idle  # type: ignore[method-assign]

    on_event = App.on_event

    async def app_event(self: App[Any], event: events.Event) -> None:
        if isinstance(event, events.Key) and event.key in ("up", "down") and PROBE.pending_key is None:
            PROBE.pending_key = (time.thread_time(), time.monotonic())
            PROBE.key_marks = {}
            if PROBE.profiler is not None:
                PROBE.profiler.enable()
        await on_event(self, event)

    App.on_event = app_event  # type: ignore[method-assign]


def main() -> None:
    out = os.environ["TUI_BENCH_PROBE"]
    install()
    atexit.register(PROBE.dump, out)
    from tui_backup.cli import main as cli_main

    sys.argv = ["tui-backup", *sys.argv[1:]]
    cli_main()


if __name__ == "__main__":
    main()
