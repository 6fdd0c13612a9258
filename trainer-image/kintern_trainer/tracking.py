"""Trackio logging of the run's final numbers (training curves go through the trainer's
Trackio integration, configured in `recipes.common.base_args`).

Trackio writes to its local directory (TRACKIO_DIR, default ~/.cache/huggingface/trackio),
or to a Space when the campaign names one. Tracking is best effort: a tracking failure is
logged and recorded, never a failed run.
"""

from __future__ import annotations

import logging

from kintern.api.request import RunRequest

log = logging.getLogger(__name__)


def log_summary(request: RunRequest, metrics: dict[str, float]) -> str | None:
    """Log `metrics` to the run's Trackio run; returns a warning text if it failed."""
    if not request.trackio_project or not metrics:
        return None
    try:
        import trackio

        trackio.init(
            project=request.trackio_project,
            name=request.run_name,
            space_id=request.trackio_space,
            resume="allow",
        )
        trackio.log({f"final/{key}": value for key, value in metrics.items()})
        trackio.finish()
    except Exception as exc:  # tracking must never fail a finished run
        log.warning("could not log to Trackio: %s", exc)
        return f"trackio: {type(exc).__name__}: {exc}"
    return None
