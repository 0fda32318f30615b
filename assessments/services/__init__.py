"""Writes of the assessments app. Views, API, commands and tasks call these, nothing else writes."""
