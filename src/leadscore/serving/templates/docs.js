// The API page: Swagger UI on this service's own OpenAPI document. Nothing is loaded from
// another host: validatorUrl null keeps Swagger UI from sending the document to its
// online validator.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/docs.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
    validatorUrl: null,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
