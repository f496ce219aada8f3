import AjvCompiler from '@fastify/ajv-compiler';

type BuildCompiler = ReturnType<typeof AjvCompiler>;
type Compile = ReturnType<BuildCompiler>;
type Validate = ((data: unknown) => unknown) & { errors?: unknown };

/**
 * Fastify's own schema compiler (ajv, as `@fastify/ajv-compiler` builds it), deferred: each route's
 * validator is generated on the route's first request instead of while the server starts. Start-up
 * spent ~55 ms of its CPU generating and compiling ~20 validators (profiled), most for routes a
 * given visit never calls; their code stays out of the heap until then. The ajv instance itself
 * is created with the first validator.
 */
export function lazyValidatorFactory(): BuildCompiler {
  const fromPool = AjvCompiler();
  return ((externalSchemas, options) => {
    let compiler: Compile | undefined;
    return ((route) => {
      let validate: Validate | undefined;
      // Fastify reads `errors` from the function after a failed validation, as ajv sets it.
      const lazy: Validate = (data) => {
        compiler ??= fromPool(externalSchemas, options);
        validate ??= compiler(route) as unknown as Validate;
        const result = validate(data);
        lazy.errors = validate.errors;
        return result;
      };
      return lazy;
    }) as Compile;
  }) as BuildCompiler;
}
