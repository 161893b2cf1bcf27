// Swagger UI for /docs: the OpenAPI URL comes from the page, so no inline script is needed.
(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    displayRequestDuration: true,
    persistAuthorization: false,
    // The default validator badge calls validator.swagger.io: no other host, ever.
    validatorUrl: null,
  });
})();
