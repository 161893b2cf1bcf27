"""The data layer: engine and unit of work, record bases and column types, the generic
repository, delete hooks."""
