"""Pure functions on arrays, one concern per module (physics, arsenal)."""
