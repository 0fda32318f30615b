"""Laptop defaults: SQLite, tasks in-process, unless the environment says otherwise."""

from .base import *  # noqa: F401,F403
