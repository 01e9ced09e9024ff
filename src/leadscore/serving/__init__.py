"""The service's parts: the HTTP contract, API keys, settings, middleware, the model watcher,
dispatch, BentoML work-arounds and the serve command."""
