"""The composition root: the only place that picks concrete clocks, feeds, exchanges and stores."""
