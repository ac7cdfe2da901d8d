/**
 * Parse + Describe of one statement through the extended query protocol, without executing it.
 *
 * PostgreSQL's Parse message takes exactly one statement: a text holding two ("... ; COMMIT; ...")
 * is refused with "cannot insert multiple commands into a prepared statement". The simple query
 * protocol, which COPY needs (a COPY cannot be prepared), runs every statement of its text in turn.
 * So the extract parses the exact SELECT it wraps in `COPY (...) TO STDOUT` first: when that text is
 * one statement, the COPY is one statement around it and no text inside can end the transaction or
 * run anything after it (docs/reliability.md). Introspection of a custom query uses the same path,
 * so a query is never executed to learn its columns.
 */
import type pg from "pg";

/** One result column of a described statement. */
export interface DescribedField {
  name: string;
  dataTypeID: number;
  dataTypeModifier: number;
}

export interface DescribedStatement {
  /** Result columns in order; empty for a statement that returns no rows. */
  fields: DescribedField[];
  /** Type oids of the statement's `$n` parameters. */
  parameterTypes: number[];
}

type RowDescription = { fields: DescribedField[] };
type ParameterDescription = { dataTypeIDs: number[] };

/** A pg Submittable sending Parse, Describe (statement) and Sync for the unnamed statement. */
class DescribeQuery implements pg.Submittable {
  readonly done: Promise<DescribedStatement>;
  private resolve: (value: DescribedStatement) => void = () => {};
  private reject: (error: Error) => void = () => {};
  private connection: pg.Connection | null = null;
  private fields: DescribedField[] = [];
  private parameterTypes: number[] = [];
  private failed = false;
  private readonly onParameters = (message: ParameterDescription) => {
    this.parameterTypes = [...message.dataTypeIDs];
  };

  constructor(private readonly text: string) {
    this.done = new Promise<DescribedStatement>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: pg.Connection): void {
    this.connection = connection;
    // pg's client does not route ParameterDescription to the active query: listen for it here.
    connection.on("parameterDescription", this.onParameters);
    connection.parse({ name: "", text: this.text, types: [] }, true);
    connection.describe({ type: "S", name: "" }, true);
    connection.sync();
  }

  handleRowDescription(message: RowDescription): void {
    this.fields = message.fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      dataTypeModifier: f.dataTypeModifier,
    }));
  }

  handleError(error: Error): void {
    // pg calls this for an ErrorResponse and does not call handleReadyForQuery afterwards.
    this.failed = true;
    this.detach();
    this.reject(error);
  }

  handleReadyForQuery(): void {
    this.detach();
    if (!this.failed) {
      this.resolve({ fields: this.fields, parameterTypes: this.parameterTypes });
    }
  }

  private detach(): void {
    this.connection?.removeListener("parameterDescription", this.onParameters);
    this.connection = null;
  }
}

/**
 * Parses and describes `text` as one statement, without executing it. Rejects with PostgreSQL's
 * error when the text is not exactly one valid statement (for example when it holds two).
 */
export async function describeStatement(
  client: Pick<pg.ClientBase, "query">,
  text: string,
): Promise<DescribedStatement> {
  const query = new DescribeQuery(text);
  client.query(query);
  return query.done;
}
