"""The scoring rulebook (scoring.md) as pure, typed functions over plain data. No ORM here."""
