import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import type { ListKind } from '@bouncer/contracts';
import { PAGE_SIZE_MAX, PageQueryDto } from '../http/page-query.dto';
import { DECISION_SORTS, type DecisionSort } from './decisions/decision-query';

/** An address or CIDR as text; the controller parses it (ipaddr.js) and answers 400 if it is not one. */
const AddressOrCidr = (example: string) => applyDecorators(ApiProperty({ example }), IsString(), MinLength(2), MaxLength(64));

export class BlockDto {
  @AddressOrCidr('203.0.113.7 or 203.0.113.0/24')
  client!: string;

  @ApiProperty({ minimum: 1, maximum: 31_536_000 })
  @IsInt()
  @Min(1)
  @Max(31_536_000)
  duration_seconds!: number;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  reason!: string;
}

export class ExtendDto {
  @AddressOrCidr('203.0.113.7')
  client!: string;

  @ApiProperty({ enum: ['blocked', 'suspicious'] })
  @IsIn(['blocked', 'suspicious'])
  state!: 'blocked' | 'suspicious';

  @ApiProperty({ minimum: 60, maximum: 31_536_000, description: 'added to the time left' })
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  seconds!: number;
}

/** At most this many decisions in one bulk action: the largest page of `GET /admin/decisions`. */
export const BULK_MAX = PAGE_SIZE_MAX;
const DECISION_REF = /^d-[0-9a-f]{12}$/;

/**
 * Decisions by their reference (`id` of `GET /admin/decisions`, `suspicion.id` for a folded
 * suspicion): short enough that a full page fits the 16 KiB body, and exact: a decision made
 * again since the admin looked has another reference and is not touched.
 */
export class BulkLiftDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: BULK_MAX, example: ['d-3f2a9c1b7e04'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BULK_MAX)
  @Matches(DECISION_REF, { each: true, message: 'each of ids must be a decision reference such as d-3f2a9c1b7e04' })
  ids!: string[];
}

export class BulkExtendDto extends BulkLiftDto {
  @ApiProperty({ minimum: 60, maximum: 31_536_000, description: 'added to the time left of each' })
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  seconds!: number;
}

export class ListEntryDto {
  @ApiProperty({ enum: ['allow', 'deny'] })
  @IsIn(['allow', 'deny'])
  kind!: ListKind;

  @AddressOrCidr('203.0.113.0/24')
  cidr!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(300)
  note?: string;

  @ApiPropertyOptional({ minimum: 60, maximum: 31_536_000, description: 'for how long; left out: until removed' })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  duration_seconds?: number;
}

export class DecisionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'The reference a refused client was shown', example: 'd-3f2a9c1b7e04' })
  @IsOptional()
  @Matches(/^d-[0-9a-f]{12}$/, { message: 'id must be a decision reference such as d-3f2a9c1b7e04' })
  id?: string;

  @ApiPropertyOptional({ enum: ['blocked', 'suspicious'] })
  @IsOptional()
  @IsIn(['blocked', 'suspicious'])
  state?: 'blocked' | 'suspicious';

  @ApiPropertyOptional({ description: 'only decisions made by this rule (`admin` for an admin block)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  rule?: string;

  @ApiPropertyOptional({ description: 'only the decision on this client (an address, as its client key, or a CIDR)' })
  @IsOptional()
  @IsString()
  @MinLength(2)
  @MaxLength(64)
  client?: string;

  @ApiPropertyOptional({ description: 'an address or CIDR: decisions on clients inside it, or on ranges that hold it' })
  @IsOptional()
  @IsString()
  @MinLength(2)
  @MaxLength(64)
  q?: string;

  @ApiPropertyOptional({ description: 'who decided: `admin:NAME`, `rule:ID`, or a prefix ending in a colon (`admin:`)' })
  @IsOptional()
  @IsString()
  @MinLength(2)
  @MaxLength(160)
  decided_by?: string;

  @ApiPropertyOptional({ description: 'only decisions with at most this many seconds left', minimum: 0, maximum: 31_536_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(31_536_000)
  expires_within?: number;

  @ApiPropertyOptional({ description: 'only decisions with more than this many seconds left', minimum: 0, maximum: 31_536_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(31_536_000)
  expires_beyond?: number;

  @ApiPropertyOptional({ enum: DECISION_SORTS, default: 'created_at' })
  @IsOptional()
  @IsIn(DECISION_SORTS)
  sort?: DecisionSort;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], description: 'default: newest first; A-Z for client and rule' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ description: 'true: a blocked client appears once, its suspicion inside (`suspicion`)', default: false })
  @IsOptional()
  @IsIn(['true', 'false'])
  one_per_client?: 'true' | 'false';
}

export class ClientQueryDto {
  @AddressOrCidr('203.0.113.7')
  client!: string;
}

export class ListQueryDto {
  @ApiProperty({ enum: ['allow', 'deny'] })
  @IsIn(['allow', 'deny'])
  kind!: ListKind;

  @AddressOrCidr('203.0.113.0/24')
  cidr!: string;
}

/** The most events one page of GET /admin/events holds; a longer read follows the next cursor, or uses the export. */
export const EVENTS_PAGE_MAX = 1000;

/** Filters shared by the audit page and the export. */
export class EventsFilterDto {
  @ApiPropertyOptional({ description: 'ISO 8601; events at or after it', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events before it (exclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({ description: 'an event type (`user.updated`) or a prefix ending in a dot (`decision.`)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  type?: string;

  @ApiPropertyOptional({ description: 'who acted: `admin:NAME`, `cli`, `system`, ...' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(160)
  actor?: string;

  @ApiPropertyOptional({ description: 'an address (its client key) or CIDR' })
  @IsOptional()
  @IsString()
  @MinLength(2)
  @MaxLength(64)
  client?: string;
}

export class EventsQueryDto extends EventsFilterDto {
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: EVENTS_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(EVENTS_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque: the X-Next-Cursor of the page before' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  cursor?: string;
}

export class EventsExportQueryDto extends EventsFilterDto {
  @ApiPropertyOptional({ enum: ['jsonl', 'csv'], default: 'jsonl' })
  @IsOptional()
  @IsIn(['jsonl', 'csv'])
  format?: 'jsonl' | 'csv';
}
