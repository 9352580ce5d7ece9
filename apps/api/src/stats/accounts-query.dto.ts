import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../http/page-query.dto';

/** `GET /admin/accounts/{username}/clients`: a window and a page. */
export class AccountClientsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'ISO 8601; failed sign-ins at or after it (default: 24 hours ago)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({
    description: 'ISO 8601; failed sign-ins before it (default, and at most: now); after since',
    example: '2026-01-02T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
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
