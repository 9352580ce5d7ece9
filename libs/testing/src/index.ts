export { API_MAIN, type ApiProcess, type ApiProcessOptions, startApiProcess } from './lib/api-process';
export { eventually, sleep } from './lib/eventually';
export { freePort } from './lib/free-port';
export { cookiesFrom, http, type HttpOptions, type HttpResponse } from './lib/http';
export { strongPassword } from './lib/strong-password';
export { openApiChecker, operationKey, type OpenApiDocument, type OpenApiOperation, type OpenApiResponse } from './lib/openapi-validator';
