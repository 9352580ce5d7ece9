import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException } from './problem.exception';

/** What failed validation, before it is known where (body, query or path) it came from. */
class InvalidInput extends Error {
  constructor(readonly errors: { field: string; message: string }[]) {
    super('invalid input');
  }
}

/**
 * The global ValidationPipe, with answers that name where the bad input is: "The query
 * parameter page is invalid." for a query string, "The request body is invalid." for a body;
 * each error's field is the property's name (class-validator's messages start with the word
 * "property" for an unknown one, which is not a field).
 */
export class LocatedValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      exceptionFactory: (errors) => new InvalidInput(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await super.transform(value, metadata);
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      const fields = [...new Set(err.errors.map((e) => e.field))];
      const detail =
        metadata.type === 'query'
          ? `The query parameter${fields.length > 1 ? 's' : ''} ${fields.join(', ')} ${fields.length > 1 ? 'are' : 'is'} invalid.`
          : metadata.type === 'param'
            ? 'The path is invalid.'
            : 'The request body is invalid.';
      throw new ProblemException(400, 'Bad Request', detail, { errors: err.errors });
    }
  }
}

function flatten(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}
