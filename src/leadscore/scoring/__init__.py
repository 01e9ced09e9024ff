"""The Scorer, its serving copies of the models, the champions, batch scoring."""
