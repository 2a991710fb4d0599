// Drawing a footprint on the map: a polygon (click each vertex, double-click or "Finish")
// or a circle (click the centre, then a point on the edge). Escape cancels.
const L = window.L;
const SAME_VERTEX_PX = 4;
const PREVIEW = { pane: "drawing", color: "#111", weight: 2, dashArray: "4 4", fillColor: "#111", fillOpacity: 0.08 };

export function createDrawTool(map, { onShape, onHint, onModeChange }) {
  const preview = L.layerGroup().addTo(map);
  const rubber = L.layerGroup().addTo(map);
  let mode = null;
  let vertices = [];
  let center = null;

  function start(kind) {
    stop();
    mode = kind;
    vertices = [];
    center = null;
    preview.clearLayers();
    map.drawing = true;
    map.doubleClickZoom.disable();
    map.getContainer().classList.add("drawing");
    map.on("click", click);
    map.on("dblclick", doubleClick);
    map.on("mousemove", move);
    document.addEventListener("keydown", key);
    onHint(kind === "circle"
      ? "Click the centre of the circle, then a point on its edge. Escape cancels."
      : "Click each vertex; double-click the last one or press “Finish shape”. Escape cancels.");
    onModeChange(mode);
  }

  function stop() {
    if (!mode) return;
    mode = null;
    map.drawing = false;
    map.off("click", click);
    map.off("dblclick", doubleClick);
    map.off("mousemove", move);
    document.removeEventListener("keydown", key);
    map.getContainer().classList.remove("drawing");
    rubber.clearLayers();
    // Re-enable after the current double-click has been handled, so it does not zoom.
    setTimeout(() => map.doubleClickZoom.enable(), 400);
    onModeChange(null);
  }

  function click(e) {
    if (mode === "polygon") {
      vertices.push(e.latlng);
      drawVertices();
      onHint(`${vertices.length} vertex${vertices.length === 1 ? "" : "es"}; `
        + (vertices.length >= 3 ? "double-click or press “Finish shape” to close." : "keep clicking."));
    } else if (mode === "circle") {
      if (!center) {
        center = e.latlng;
        onHint("Now click a point on the circle's edge.");
      } else {
        const radius = Math.max(1, Math.round(center.distanceTo(e.latlng)));
        const shape = { type: "circle", center: { lat: center.lat, lng: center.lng }, radius };
        stop();
        show(shape);
        onShape(shape);
        onHint(`Circle of ${radius.toLocaleString("en")} m drawn.`);
      }
    }
  }

  function doubleClick(e) {
    L.DomEvent.stop(e);
    if (mode === "polygon") finish();
  }

  function move(e) {
    rubber.clearLayers();
    if (mode === "polygon" && vertices.length) {
      L.polyline([vertices[vertices.length - 1], e.latlng], PREVIEW).addTo(rubber);
    } else if (mode === "circle" && center) {
      L.circle(center, { ...PREVIEW, radius: center.distanceTo(e.latlng), interactive: false }).addTo(rubber);
    }
  }

  function key(e) {
    if (e.key === "Escape") {
      stop();
      preview.clearLayers();
      onHint("Drawing cancelled.");
    } else if (e.key === "Enter" && mode === "polygon" && e.target === document.body) {
      finish();
    }
  }

  /** Closes the polygon being drawn; answers whether it had enough vertices. */
  function finish() {
    if (mode !== "polygon") return false;
    const kept = [];
    for (const v of vertices) {
      const last = kept[kept.length - 1];
      if (last && map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(v)) < SAME_VERTEX_PX) continue;
      kept.push(v);
    }
    if (kept.length < 3) {
      vertices = kept;
      drawVertices();
      onHint("A polygon needs at least 3 vertices.");
      return false;
    }
    const shape = { type: "polygon", vertices: kept.map((v) => ({ lat: v.lat, lng: v.lng })) };
    stop();
    show(shape);
    onShape(shape);
    onHint(`Polygon of ${kept.length} vertices drawn.`);
    return true;
  }

  function drawVertices() {
    preview.clearLayers();
    if (vertices.length > 1) L.polyline(vertices, PREVIEW).addTo(preview);
    for (const v of vertices) {
      L.circleMarker(v, { pane: "drawing", radius: 4, color: "#111", fillColor: "#fff", fillOpacity: 1, interactive: false })
        .addTo(preview);
    }
  }

  /** Shows a finished footprint (drawn, or typed into the form). */
  function show(shape) {
    preview.clearLayers();
    if (!shape) return;
    const style = { ...PREVIEW, interactive: false, className: "draft-shape" };
    if (shape.type === "circle") L.circle([shape.center.lat, shape.center.lng], { ...style, radius: shape.radius }).addTo(preview);
    else L.polygon(shape.vertices.map((v) => [v.lat, v.lng]), style).addTo(preview);
  }

  function clear() {
    stop();
    preview.clearLayers();
  }

  return { start, finish, stop, show, clear, get mode() { return mode; } };
}
