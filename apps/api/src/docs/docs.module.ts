import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Roles } from '../access/roles.decorator';
import { ProblemException } from '../http/problem.exception';

/** The OpenAPI document, built by app.factory once every controller is known. */
@Injectable()
export class OpenApiDocumentHolder {
  document: OpenAPIObject | null = null;
}

/**
 * API_DOCS=admin: the document for admins' tooling, behind the usual bearer token and role
 * checks (a Nest route, so the global guards apply). No Swagger UI: a page cannot send the
 * token, which lives in the dashboard's memory only.
 */
@ApiExcludeController()
@Controller()
export class DocsController {
  constructor(private readonly holder: OpenApiDocumentHolder) {}

  @Roles('admin')
  @Get('docs-json')
  document(): OpenAPIObject {
    if (!this.holder.document) throw new ProblemException(404, 'Not Found', 'No API document.');
    return this.holder.document;
  }
}

@Module({ controllers: [DocsController], providers: [OpenApiDocumentHolder], exports: [OpenApiDocumentHolder] })
export class DocsModule {}
