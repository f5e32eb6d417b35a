"""Renting and returning bikes: one open rental per rider and per bike, fares at return."""
