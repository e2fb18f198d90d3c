"""Analyses over the store: indicator counts now; metrics, anomalies and actors later."""
