// Validates docs/openapi.yaml as an OpenAPI 3.1 document with an off-the-shelf validator.
const SwaggerParser = require("@apidevtools/swagger-parser");
const path = require("path");

const file = process.argv[2] || path.join(__dirname, "..", "docs", "openapi.yaml");
SwaggerParser.validate(file)
  .then((api) => {
    const paths = Object.keys(api.paths).length;
    console.log(`openapi: ${file} is valid OpenAPI ${api.openapi} (${paths} paths)`);
  })
  .catch((err) => {
    console.error(`openapi: ${file} is invalid: ${err.message}`);
    process.exit(1);
  });
