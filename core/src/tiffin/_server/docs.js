"use strict";
// The /docs page: Swagger UI on this service's OpenAPI document (/docs.json), its request
// bodies prefilled with the examples built from the APIs' IO descriptors.
window.ui = SwaggerUIBundle({
  url: "/docs.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  defaultModelsExpandDepth: -1,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
  onComplete: function () { document.body.setAttribute("data-ready", "true"); }
});
