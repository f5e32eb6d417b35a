"""Distances between stations: haversine for costs, a KD-tree for neighbour look-ups."""

import numpy as np
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088


def haversine_km(*, lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km; arguments broadcast like NumPy arrays."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = np.radians(np.asarray(lon2) - np.asarray(lon1)) / 2
    a = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(*, lat, lon) -> np.ndarray:
    """All pairwise haversine distances between the given points."""
    lat, lon = np.asarray(lat), np.asarray(lon)
    return haversine_km(lat1=lat[:, None], lon1=lon[:, None], lat2=lat[None, :], lon2=lon[None, :])


SEOUL_LATITUDE = 37.55


def local_plane_km(*, lat, lon) -> np.ndarray:
    """Project to a flat km grid around Seoul's latitude.

    Within a city the error is far below a truck's detours, and a fixed reference latitude keeps
    projections of different point sets comparable.
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    km_per_deg_lat = np.pi * EARTH_RADIUS_KM / 180
    km_per_deg_lon = km_per_deg_lat * np.cos(np.radians(SEOUL_LATITUDE))
    return np.column_stack([lat * km_per_deg_lat, lon * km_per_deg_lon])


def neighbour_tree(*, lat, lon) -> cKDTree:
    return cKDTree(local_plane_km(lat=lat, lon=lon))
