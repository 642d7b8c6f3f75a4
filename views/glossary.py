"""The glossary page: each term the first screens use, explained (the words live in lab/glossary.py)."""

from __future__ import annotations

from flask import Blueprint, render_template

from lab.glossary import TERMS

bp = Blueprint("glossary", __name__)


@bp.get("/glossary")
def page() -> str:
    return render_template("glossary.html", terms=TERMS)
