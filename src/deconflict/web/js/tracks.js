// Live tracks carried by tactical.alert and nonconformance events, read leniently: the
// track API is newer than the console, so any object with an id and a lat/lng is a track.
const MAX_DEPTH = 4;

function num(...values) {
  for (const v of values) {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (v && typeof v === "object" && typeof v.value === "number") return v.value;
  }
  return null;
}

function asTrack(obj, own) {
  const pos = obj.position || obj.pos || obj;
  const lat = num(pos.lat, pos.latitude);
  const lng = num(pos.lng, pos.lon, pos.longitude);
  const id = obj.id ?? obj.track_id ?? obj.aircraft_id ?? obj.callsign;
  if (lat === null || lng === null || id === undefined || id === null) return null;
  const vel = obj.velocity || {};
  let gs = num(obj.gs_mps, obj.ground_speed_mps, obj.speed_mps, obj.gs, obj.speed, vel.gs_mps, vel.speed_mps, vel.speed);
  let trk = num(obj.trk_deg, obj.track_deg, obj.heading_deg, obj.track, obj.heading, vel.trk_deg, vel.track_deg, vel.heading_deg);
  const east = num(vel.east_mps, vel.east, obj.east_mps);
  const north = num(vel.north_mps, vel.north, obj.north_mps);
  if ((gs === null || trk === null) && east !== null && north !== null) {
    gs = Math.hypot(east, north);
    trk = ((Math.atan2(east, north) * 180) / Math.PI + 360) % 360;
  }
  return {
    id: String(id), lat, lng, gs, trk,
    alt: num(obj.alt_m, obj.altitude_m, obj.altitude, pos.alt_m, pos.altitude),
    own: obj.own ?? obj.mine ?? own,
    label: obj.callsign || obj.label || String(id),
  };
}

/** {tracks, cpa, tcpa} found in an event's data. */
export function tracksOf(data) {
  const tracks = [];
  const seen = new Set();
  const visit = (value, own, depth) => {
    if (!value || typeof value !== "object" || depth > MAX_DEPTH) return;
    if (Array.isArray(value)) { for (const v of value) visit(v, own, depth + 1); return; }
    const track = asTrack(value, own);
    if (track && !seen.has(track.id)) { seen.add(track.id); tracks.push(track); return; }
    for (const [key, v] of Object.entries(value)) {
      if (key === "cpa" || key === "region" || key === "region_geojson") continue;
      const side = key.startsWith("my") || key === "mine" || key === "own" ? true
        : key.startsWith("other") || key === "theirs" ? false : own;
      visit(v, side, depth + 1);
    }
  };
  visit(data, undefined, 0);
  const cpa = data.cpa && num(data.cpa.lat) !== null ? data.cpa : null;
  return { tracks, cpa, tcpa: num(data.tcpa_s, data.time_to_cpa_s) };
}
