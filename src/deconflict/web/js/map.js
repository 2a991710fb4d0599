// The map: an offline base map (Natural Earth outlines, no tile layer), own operations,
// conflict regions, live tracks. Leaflet and topojson-client are vendored as globals.
import { conflictGeoJson, describeVolume } from "./volumes.js";
import { escapeHtml, metres, utc } from "./format.js";
import { destination } from "./tracks.js";

const L = window.L;
const COLOURS = { flight: "#1c5fd1", hazard: "#d0480b", presence: "#1f7a36" };
const CONFLICT = "#c4102a";
const ESCALATED = "#7a0a9e";
const GREY = "#6e7781";
const TRACK_VECTOR_S = 60; // heading vectors show where an aircraft will be in a minute

export function createMap(element, { onSelectOperation, onSelectConflict } = {}) {
  const map = L.map(element, {
    minZoom: 2, maxZoom: 17, worldCopyJump: true, zoomSnap: 0.25, keyboard: true,
  }).setView([30, 20], 3);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Outlines: Natural Earth via world-atlas · Leaflet");
  L.control.scale({ imperial: false }).addTo(map);
  for (const [name, z] of [["basemap", 150], ["labels", 350], ["conflicts", 450],
    ["tracks", 500], ["drawing", 550]]) {
    map.createPane(name).style.zIndex = String(z);
  }
  map.getPane("labels").style.pointerEvents = "none";
  addLegend(map);
  addCoordinates(map);

  const operations = L.featureGroup().addTo(map);
  const conflicts = L.featureGroup().addTo(map);
  const tracks = L.layerGroup().addTo(map);
  const alerts = L.layerGroup().addTo(map);
  const trackMarks = new Map(); // "own:ID" | "other:ALIAS" -> {group, dot, vector, ...}
  const basemap = loadBasemap(map);

  function setOperations(list) {
    operations.clearLayers();
    for (const op of list) {
      const finished = op.state === "cancelled" || op.state === "ended";
      const colour = finished ? GREY : COLOURS[op.kind] || GREY;
      const style = {
        color: colour, fillColor: colour, weight: op.state === "active" ? 3 : 2,
        dashArray: op.state === "planned" ? "6 5" : null,
        fillOpacity: op.state === "active" ? 0.3 : 0.15,
        className: `op op-${op.kind} op-state-${op.state}`,
      };
      for (const v of (op.volumes || []).map(describeVolume)) {
        const layer = shapeLayer(v.shape, style);
        if (!layer) continue;
        layer.bindTooltip(`<strong>${escapeHtml(op.label || op.id)}</strong><br>`
          + `${op.kind} · ${op.state} · ${metres(v.lower)}–${metres(v.upper)}<br>`
          + `${utc(v.start)} → ${utc(v.end)}`, { sticky: true });
        layer.on("click", (e) => {
          if (map.drawing) return;
          L.DomEvent.stopPropagation(e);
          if (onSelectOperation) onSelectOperation(op.id);
        });
        layer.operationId = op.id;
        operations.addLayer(layer);
      }
    }
  }

  function setConflicts(list, selectedId) {
    conflicts.clearLayers();
    for (const c of list) {
      const escalated = isEscalated(c);
      const resolved = c.status === "resolved";
      const selected = c.id === selectedId;
      const colour = escalated ? ESCALATED : resolved ? GREY : CONFLICT;
      const layer = L.geoJSON(conflictGeoJson(c), {
        pane: "conflicts",
        style: {
          color: colour, fillColor: colour, weight: selected ? 5 : 3,
          fillOpacity: resolved ? 0.1 : 0.45, dashArray: resolved ? "2 6" : null,
          className: `conflict-region ${resolved ? "resolved" : "open"}${escalated ? " escalated" : ""}`,
        },
      });
      layer.bindTooltip(`<strong>Conflict with ${escapeHtml(c.other_party)}</strong><br>`
        + `${c.my_kind} × ${c.other_kind} · ${c.status}`, { sticky: true });
      layer.on("click", (e) => {
        if (map.drawing) return;
        L.DomEvent.stopPropagation(e);
        if (onSelectConflict) onSelectConflict(c.id);
      });
      layer.conflictId = c.id;
      conflicts.addLayer(layer);
    }
  }

  /** Live traffic as tracks.js views it: own aircraft, others (by alias), alert lines with the
   * closest point of approach, and the regions strays were found in. Redrawn on every tick. */
  function setLive(live) {
    alerts.clearLayers();
    const many = live.own.length + live.others.length > 30; // labels only while readable
    const seen = new Set();
    for (const t of [...live.own, ...live.others]) seen.add(drawTrack(t, many));
    for (const [key, mark] of trackMarks) {
      if (!seen.has(key)) { tracks.removeLayer(mark.group); trackMarks.delete(key); }
    }
    for (const r of live.regions) {
      if (!r.geojson) continue;
      L.geoJSON(r.geojson, {
        pane: "conflicts", interactive: false,
        style: { color: "#9a6700", weight: 2, dashArray: "3 5", fillOpacity: 0.15, className: "stray-region" },
      }).addTo(alerts);
    }
    for (const a of live.lines) {
      L.polyline([[a.from.lat, a.from.lng], [a.to.lat, a.to.lng]], {
        pane: "tracks", color: CONFLICT, weight: a.los ? 4 : 2, dashArray: a.los ? null : "4 4",
        className: `alert-line${a.los ? " los" : ""}`, interactive: false,
      }).addTo(alerts);
      if (a.cpa && a.cpa.lat != null) {
        L.circleMarker([a.cpa.lat, a.cpa.lng], {
          pane: "tracks", radius: 9, color: CONFLICT, weight: 3, fill: false, className: "alert-cpa",
        }).bindTooltip("closest point of approach").addTo(alerts);
      }
    }
  }

  /** A marker with its label and heading vector, moved in place from tick to tick. */
  function drawTrack(track, quiet) {
    const who = track.own ? "own" : "other";
    const key = `${who}:${track.id}`;
    const here = L.latLng(track.lat, track.lng);
    const text = `${escapeHtml(track.label || track.id)}${track.alt_m != null ? ` · ${metres(track.alt_m)}` : ""}`
      + `${track.gs_mps != null ? ` · ${Math.round(track.gs_mps)} m/s` : ""}`
      + `${track.nonconforming ? " · OUTSIDE its operation" : ""}`;
    const look = `${track.nonconforming ? "nc" : ""}|${track.stray ? "stray" : ""}|${quiet}`;
    let mark = trackMarks.get(key);
    if (mark && mark.look !== look) {
      tracks.removeLayer(mark.group);
      mark = null;
    }
    if (!mark) {
      const colour = track.own ? "#1c5fd1" : "#c4102a";
      const fill = track.own ? (track.nonconforming ? "#ff9f1c" : "#ffd33d") : "#ff8787";
      const group = L.layerGroup();
      const dot = L.circleMarker(here, {
        pane: "tracks", radius: track.own ? 6 : 7, color: "#111", weight: track.nonconforming ? 3 : 2,
        fillColor: fill, fillOpacity: 1,
        className: `track track-${who}${track.nonconforming ? " nonconforming" : ""}${track.stray ? " stray" : ""}`,
      }).bindTooltip(text, {
        direction: "top", permanent: !quiet, offset: [0, -6],
        className: `track-label track-label-${who}${track.nonconforming ? " nonconforming" : ""}`,
      }).addTo(group);
      const vector = L.polyline([here, here], {
        pane: "tracks", color: colour, weight: 3, className: `track-vector track-vector-${who}`, interactive: false,
      }).addTo(group);
      mark = { group, dot, vector, look, text };
      trackMarks.set(key, mark);
      tracks.addLayer(group);
    }
    mark.dot.setLatLng(here);
    if (mark.text !== text) { mark.dot.setTooltipContent(text); mark.text = text; }
    const moving = track.gs_mps && track.trk_deg !== null && track.trk_deg !== undefined;
    const to = moving ? destination(here, track.trk_deg, track.gs_mps * TRACK_VECTOR_S) : here;
    mark.vector.setLatLngs([here, [to.lat, to.lng]]);
    return key;
  }

  /** Bring points (aircraft, a closest point of approach) into view. */
  function focusPoints(points) {
    const bounds = L.latLngBounds((points || []).filter((p) => p && p.lat != null).map((p) => [p.lat, p.lng]));
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.3), { padding: [80, 80], maxZoom: 12 });
  }

  /** Another party's check touched one of ours: show the region it was told of for a while. */
  function showProbe(notice) {
    const layer = L.geoJSON(conflictGeoJson(notice), {
      pane: "conflicts", interactive: false,
      style: { color: "#9a6700", weight: 2, dashArray: "3 5", fillOpacity: 0.1, className: "probe-region" },
    }).addTo(map);
    setTimeout(() => map.removeLayer(layer), 60000);
  }

  function focus(kind, id) {
    const group = kind === "conflict" ? conflicts : operations;
    const key = kind === "conflict" ? "conflictId" : "operationId";
    const layers = group.getLayers().filter((l) => l[key] === id);
    if (!layers.length) return;
    const bounds = L.featureGroup(layers).getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [80, 80], maxZoom: 15 });
  }

  function fitToContent() {
    const bounds = L.latLngBounds([]);
    for (const g of [operations, conflicts]) {
      const b = g.getBounds();
      if (b.isValid()) bounds.extend(b);
    }
    for (const m of trackMarks.values()) bounds.extend(m.dot.getLatLng());
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 12 });
    return bounds.isValid();
  }

  return { map, basemap, setOperations, setConflicts, setLive, focusPoints, showProbe, focus, fitToContent };
}

export function isEscalated(conflict) {
  return Boolean(conflict.escalated || conflict.status === "escalated" || conflict.escalated_at);
}

function shapeLayer(shape, style) {
  if (!shape) return null;
  if (shape.type === "circle") {
    return L.circle([shape.center.lat, shape.center.lng], { ...style, radius: shape.radius });
  }
  return L.polygon(shape.vertices.map((v) => [v.lat, v.lng]), style);
}

async function loadBasemap(map) {
  const response = await fetch("vendor/world-atlas/countries-50m.json");
  const topo = await response.json();
  const renderer = L.canvas({ pane: "basemap", padding: 0.5 });
  const countries = topo.objects.countries;
  L.geoJSON(window.topojson.feature(topo, topo.objects.land), {
    renderer, interactive: false,
    style: { stroke: false, fillColor: "#f3efe4", fillOpacity: 1 },
  }).addTo(map);
  L.geoJSON(window.topojson.mesh(topo, countries, (a, b) => a !== b), {
    renderer, interactive: false, style: { color: "#7a6a55", weight: 1.3, dashArray: "5 3", fill: false },
  }).addTo(map);
  L.geoJSON(window.topojson.mesh(topo, countries, (a, b) => a === b), {
    renderer, interactive: false, style: { color: "#5d7f99", weight: 1, fill: false },
  }).addTo(map);
  addGraticule(map, renderer);
  const features = window.topojson.feature(topo, countries).features;
  addCountryLabels(map, features);
  addOverview(map, topo, features);
  map.getContainer().dataset.basemap = "ready";
}

function addGraticule(map, renderer) {
  const layer = L.layerGroup().addTo(map);
  const draw = () => {
    layer.clearLayers();
    const z = map.getZoom();
    const step = z >= 11 ? 0.1 : z >= 8 ? 0.5 : z >= 5 ? 2 : 10;
    const b = map.getBounds().pad(0.5);
    const lines = [];
    for (let lat = Math.ceil(Math.max(b.getSouth(), -85) / step) * step; lat <= Math.min(b.getNorth(), 85); lat += step) {
      lines.push([[lat, b.getWest()], [lat, b.getEast()]]);
    }
    for (let lng = Math.ceil(b.getWest() / step) * step; lng <= b.getEast(); lng += step) {
      lines.push([[Math.max(b.getSouth(), -85), lng], [Math.min(b.getNorth(), 85), lng]]);
    }
    if (lines.length > 400) return;
    L.polyline(lines, { renderer, interactive: false, color: "#8aa4b8", weight: 0.5, opacity: 0.6 })
      .addTo(layer);
  };
  map.on("moveend", draw);
  draw();
}

function addCountryLabels(map, features) {
  const anchors = features.map((f) => ({ name: f.properties.name, at: labelPoint(f.geometry) }))
    .filter((a) => a.name && a.at);
  const layer = L.layerGroup().addTo(map);
  const draw = () => {
    layer.clearLayers();
    if (map.getZoom() < 4) return;
    const view = map.getBounds();
    for (const a of anchors) {
      if (!view.contains(a.at)) continue;
      L.marker(a.at, {
        pane: "labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "country-label", html: `<span>${escapeHtml(a.name)}</span>`, iconSize: null }),
      }).addTo(layer);
    }
  };
  map.on("moveend", draw);
  draw();
}

/** Centroid of the largest outer ring: a label spot good enough for country names. */
function labelPoint(geometry) {
  if (!geometry) return null;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    const ring = polygon[0];
    let area = 0; let cx = 0; let cy = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      area += f; cx += (ring[j][0] + ring[i][0]) * f; cy += (ring[j][1] + ring[i][1]) * f;
    }
    if (area === 0) continue;
    if (!best || Math.abs(area) > best.area) {
      best = { area: Math.abs(area), at: L.latLng(cy / (3 * area), cx / (3 * area)) };
    }
  }
  return best && best.at;
}

/** A small overview map (top right): country outlines around the main view's rectangle, so
 * the operating area stays placed even when zoomed into a city where no border shows. */
function addOverview(main, topo, features) {
  const control = L.control({ position: "topright" });
  control.onAdd = () => {
    const div = L.DomUtil.create("div", "map-overview");
    div.setAttribute("aria-hidden", "true");
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  control.addTo(main);
  const div = control.getContainer();
  const mini = L.map(div, {
    attributionControl: false, zoomControl: false, dragging: false, scrollWheelZoom: false,
    doubleClickZoom: false, boxZoom: false, keyboard: false, touchZoom: false, zoomSnap: 0.25,
  });
  const renderer = L.canvas({ padding: 0.2 });
  L.geoJSON(window.topojson.feature(topo, topo.objects.land), {
    renderer, interactive: false, style: { stroke: false, fillColor: "#f3efe4", fillOpacity: 1 },
  }).addTo(mini);
  L.geoJSON(window.topojson.mesh(topo, topo.objects.countries), {
    renderer, interactive: false, style: { color: "#7a6a55", weight: 1, fill: false },
  }).addTo(mini);
  const labels = L.layerGroup().addTo(mini);
  const anchors = features.map((f) => ({ name: f.properties.name, at: labelPoint(f.geometry) }))
    .filter((a) => a.name && a.at);
  const frame = L.rectangle(main.getBounds(), {
    color: "#c4102a", weight: 2, fill: true, fillOpacity: 0.1, interactive: false,
  }).addTo(mini);
  const centre = L.circleMarker(main.getCenter(), {
    radius: 4, color: "#c4102a", weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false,
  }).addTo(mini);
  const sync = () => {
    const zoom = Math.max(1, Math.min(6, main.getZoom() - 4));
    mini.setView(main.getCenter(), zoom, { animate: false });
    frame.setBounds(main.getBounds());
    centre.setLatLng(main.getCenter());
    labels.clearLayers();
    const view = mini.getBounds();
    for (const a of anchors) {
      if (zoom >= 3 && view.contains(a.at)) {
        L.marker(a.at, {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "country-label", html: `<span>${escapeHtml(a.name)}</span>`, iconSize: null }),
        }).addTo(labels);
      }
    }
  };
  main.on("moveend", sync);
  sync();
}

function addLegend(map) {
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "map-legend");
    div.innerHTML = '<i class="flight"></i>flight<br><i class="hazard"></i>hazard<br>'
      + '<i class="presence"></i>presence<br><i class="conflict"></i>conflict region<br>'
      + '<i class="track"></i>your aircraft<br><i class="other"></i>other party\'s aircraft<br>'
      + '<i class="cpa"></i>closest approach<br><small>dashed: planned · solid: active<br>'
      + 'lines ahead of aircraft: 1 min</small>';
    return div;
  };
  legend.addTo(map);
}

function addCoordinates(map) {
  const box = L.control({ position: "bottomright" });
  box.onAdd = () => {
    const div = L.DomUtil.create("div", "map-coords");
    div.setAttribute("aria-hidden", "true");
    div.textContent = "lat, lng";
    map.on("mousemove", (e) => {
      div.textContent = `${e.latlng.lat.toFixed(5)}, ${e.latlng.lng.toFixed(5)}`;
    });
    return div;
  };
  box.addTo(map);
}
