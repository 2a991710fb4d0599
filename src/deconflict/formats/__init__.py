"""Files in and out: one module per format (GeoJSON, KML, CSV, NOTAM, ED-269). Pure: text in,
operation dicts out (then checked by the one strict parser), or operations in, text out."""
