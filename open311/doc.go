// Package open311 speaks Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2)
// under /open311/v2/, in XML (the standard's required format) and JSON, so
// existing 311 apps and clients can file and follow reports.
//
// It is a second face of the same cases service the native API uses: a
// service is a category, a service request a case, and a POST becomes a
// domain.SubmitReport. What the standard has no field for is decided here
// and written down in the README's Open311 section:
//
//   - the commune is the required attribute attribute[commune] (every
//     service's definition lists the communes), since routing needs it and
//     a point cannot be placed in a commune without boundaries;
//   - a request's title may come as attribute[title], else the start of the
//     description;
//   - media_url is kept as a line of the description, never fetched;
//   - requests are read publicly, so they carry what the public map does:
//     no reporter identity, no description or street address (free text
//     can name people), coordinates rounded to about a kilometre, and none
//     for a denunciation, whose author the law protects;
//   - service_request_id is returned at once; tokens/{token} accepts it
//     as its own token.
//
// Errors leave in the standard's shape, [{code, description}] or
// <errors><error>…, never in the native API's.
package open311
