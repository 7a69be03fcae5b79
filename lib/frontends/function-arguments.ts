/**
 * A function call's finished arguments as Chat and Responses clients get them: blank arguments (a
 * call of a tool without parameters, from an upstream that sends `""` for them) are `{}`, as
 * OpenAI sends them; the openai SDK's `runTools()` and `parse()` JSON.parse them.
 *
 * ```ts
 * finishedArguments('')               // '{}'
 * finishedArguments('{"city":"Paris"}') // as it is
 * ```
 */
export function finishedArguments(args: string): string {
  return args.trim().length === 0 ? '{}' : args;
}
