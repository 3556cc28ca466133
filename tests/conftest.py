"""Shared test set-up: figures render off-screen (no display on CI or a headless laptop)."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
