"""The disruption family: scenarios applied to a problem, stress tests of a plan, the
two-stage stochastic model and sweeps over many disruptions."""
