// ASTM F3548 Volume4D <-> what the console draws, and conflict regions.
import { parseTime, rfc3339 } from "./format.js";

const altitude = (value) => ({ value, reference: "W84", units: "M" });
const instant = (ms) => ({ value: rfc3339(ms), format: "RFC3339" });

/** A Volume4D from a drawn footprint ({type: "polygon", vertices} | {type: "circle", ...}). */
export function volume4d(footprint, { lower, upper, start, end }) {
  const volume = { altitude_lower: altitude(lower), altitude_upper: altitude(upper) };
  if (footprint.type === "circle") {
    volume.outline_circle = {
      center: { lat: footprint.center.lat, lng: footprint.center.lng },
      radius: { value: footprint.radius, units: "M" },
    };
  } else {
    volume.outline_polygon = {
      vertices: footprint.vertices.map((v) => ({ lat: v.lat, lng: v.lng })),
    };
  }
  return { volume, time_start: instant(start), time_end: instant(end) };
}

/** What one Volume4D spans: {shape, lower, upper, start, end} (times in epoch ms). */
export function describeVolume(v4) {
  const volume = v4.volume || v4;
  let shape = null;
  if (volume.outline_polygon) {
    shape = { type: "polygon", vertices: volume.outline_polygon.vertices };
  } else if (volume.outline_circle) {
    const c = volume.outline_circle;
    shape = { type: "circle", center: c.center, radius: radiusMetres(c.radius) };
  }
  return {
    shape,
    lower: valueOf(volume.altitude_lower),
    upper: valueOf(volume.altitude_upper),
    start: parseTime(v4.time_start),
    end: parseTime(v4.time_end),
  };
}

function radiusMetres(radius) {
  const value = valueOf(radius);
  return radius && radius.units === "FT" ? value * 0.3048 : value;
}

function valueOf(x) {
  if (x === null || x === undefined) return null;
  return typeof x === "object" ? x.value : x;
}

/** Time span of an operation over all its volumes. */
export function operationSpan(op) {
  const spans = (op.volumes || []).map(describeVolume);
  return {
    start: Math.min(...spans.map((s) => s.start ?? Infinity)),
    end: Math.max(...spans.map((s) => s.end ?? -Infinity)),
    lower: Math.min(...spans.map((s) => s.lower ?? Infinity)),
    upper: Math.max(...spans.map((s) => s.upper ?? -Infinity)),
    volumes: spans,
  };
}

/** The regions of a conflict as a list (a conflict may overlap in several volumes). */
export function regionsOf(conflict) {
  if (Array.isArray(conflict.regions)) return conflict.regions;
  if (Array.isArray(conflict.region)) return conflict.region;
  return conflict.region ? [conflict.region] : [];
}

/** Altitude and time extent of a conflict: {lower, upper, start, end}. */
export function conflictSpan(conflict) {
  const regions = regionsOf(conflict);
  const pick = (r, ...names) => {
    for (const n of names) if (r[n] !== undefined && r[n] !== null) return r[n];
    return null;
  };
  const starts = regions.map((r) => parseTime(pick(r, "time_start", "start"))).filter((t) => t !== null);
  const ends = regions.map((r) => parseTime(pick(r, "time_end", "end"))).filter((t) => t !== null);
  const lowers = regions.map((r) => valueOf(pick(r, "altitude_lower", "lower"))).filter((a) => a !== null);
  const uppers = regions.map((r) => valueOf(pick(r, "altitude_upper", "upper"))).filter((a) => a !== null);
  return {
    start: starts.length ? Math.min(...starts) : null,
    end: ends.length ? Math.max(...ends) : null,
    lower: lowers.length ? Math.min(...lowers) : null,
    upper: uppers.length ? Math.max(...uppers) : null,
  };
}

/** GeoJSON for a conflict's regions: region_geojson if served, else built from footprints. */
export function conflictGeoJson(conflict) {
  if (conflict.region_geojson) return conflict.region_geojson;
  if (conflict.regions_geojson) return conflict.regions_geojson;
  const polygons = [];
  for (const region of regionsOf(conflict)) {
    const footprint = region.footprint || region.rings || [];
    const rings = Array.isArray(footprint[0]) ? footprint : [footprint];
    const coords = rings.filter((r) => r.length).map((ring) => ring.map((p) => [p.lng, p.lat]));
    if (coords.length) polygons.push(coords);
  }
  return { type: "MultiPolygon", coordinates: polygons };
}
