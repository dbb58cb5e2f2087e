// How timestamps leave the database as text: records zone-less (apps append 'Z'), platform APIs as ISO with 'Z'.

const FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US';

/** Zone-less UTC with microseconds, as public Base44 apps expect of records (`new Date(created_date + 'Z')`). */
export const zonelessUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', '${FORMAT}')`;

/** ISO 8601 UTC with microseconds and 'Z', for Homebase's own management APIs. */
export const isoUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', '${FORMAT}"Z"')`;
