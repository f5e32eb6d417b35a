// Swagger UI from the vendored bundle (a classic deferred script, run before this module).
// validatorUrl null: the default asks validator.swagger.io, another origin the CSP refuses, for a badge. The
// BaseLayout used here does not show that badge (the standalone layout does); null keeps it so if that changes.
const root = document.getElementById("swagger");
window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: false, validatorUrl: null });
