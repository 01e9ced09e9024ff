"""Training jobs: data in, models tracked and registered; promotion."""
