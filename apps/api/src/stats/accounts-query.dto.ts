import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

/** `GET /admin/accounts/{username}/clients`: a window and a page. */
export class AccountClientsQueryDto {
  @ApiPropertyOptional({ description: 'ISO 8601; failed sign-ins at or after it (default: 24 hours ago)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: 100_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page?: number;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  page_size?: number;
}

/** `GET /admin/accounts`: the same, and a part of the account name to look for. */
export class AccountsQueryDto extends AccountClientsQueryDto {
  @ApiPropertyOptional({ description: 'only accounts whose name contains this (case-insensitive: names are stored normalized)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  q?: string;
}
