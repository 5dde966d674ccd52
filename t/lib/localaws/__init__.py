"""Local AWS for the integration tests: moto behind a fault-injecting front.

Nothing here imports or shares code with src/, so a misreading of an AWS
protocol in the product cannot hide on both sides of a test.
"""
