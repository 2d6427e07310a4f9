"""Loading and validating the definition and stack config, composing components, entry points."""
