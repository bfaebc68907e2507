"""Words shown for a submission's state, the same on pages, in the API and in the back office."""

from __future__ import annotations

from engine import Workflow

_OWN = {"draft": ("Brouillon", "Draft"), "cancelled": ("Annulée", "Cancelled")}


def status_label(wf: Workflow, status: str, lang: str) -> str:
    if status in _OWN:
        fr, en = _OWN[status]
        return en if lang == "en" else fr
    text = wf.lifecycle.states.get(status)
    return text.text(lang) if text else status
