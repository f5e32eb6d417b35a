"""Pure numerical core of bike rebalancing: demand, chains, targets, flows, routes, replay."""
