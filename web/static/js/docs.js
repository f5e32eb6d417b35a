// Swagger UI from the vendored bundle (a classic deferred script, run before this module).
const root = document.getElementById("swagger");
window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: false });
