import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { TRAFFIC_RANGES, type TrafficRange } from './time-range';

/** `GET /admin/traffic` and the client page's timeline: a named range ending now, or since/until. */
export class TrafficQueryDto {
  @ApiPropertyOptional({ enum: Object.keys(TRAFFIC_RANGES), default: '15m', description: 'a range ending now' })
  @IsOptional()
  @IsIn(Object.keys(TRAFFIC_RANGES))
  range?: TrafficRange;

  @ApiPropertyOptional({ description: 'ISO 8601; the start of a custom range (at most 8 days long)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; the end of a custom range (exclusive; default now)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}
