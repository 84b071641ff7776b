"""Console pages, one module per section; importing them adds their routes to the Blueprint."""
