import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';
import type { BlockRequest, ListEntryRequest, ListKind } from '@bouncer/contracts';
import { isAddressOrCidr } from '../client/cidr';

/** An IPv4/IPv6 address or CIDR (`203.0.113.0/24`, `2001:db8::/48`), checked with ipaddr.js. */
export function IsAddressOrCidr(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAddressOrCidr',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be an IP address or CIDR`, ...options },
      validator: { validate: (v: unknown) => typeof v === 'string' && isAddressOrCidr(v) },
    });
}

export class BlockDto implements BlockRequest {
  @ApiProperty({ example: '203.0.113.7', description: 'An address or a CIDR (203.0.113.0/24, 2001:db8::/48)' })
  @IsString()
  @MaxLength(64)
  @IsAddressOrCidr()
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

export class ListEntryDto implements ListEntryRequest {
  @ApiProperty({ enum: ['allow', 'deny'] })
  @IsIn(['allow', 'deny'])
  kind!: ListKind;

  @ApiProperty({ example: '198.51.100.0/24' })
  @IsString()
  @MaxLength(64)
  @IsAddressOrCidr()
  cidr!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(300)
  note?: string;
}

export class DecisionsQueryDto {
  @ApiPropertyOptional({ enum: ['blocked', 'suspicious'] })
  @IsOptional()
  @IsIn(['blocked', 'suspicious'])
  state?: 'blocked' | 'suspicious';

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page?: number;

  @ApiPropertyOptional({ default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  page_size?: number;
}

export class ClientQueryDto {
  @ApiProperty({ example: '203.0.113.7' })
  @IsString()
  @MaxLength(64)
  @IsAddressOrCidr()
  client!: string;
}

export class ListQueryDto {
  @ApiProperty({ enum: ['allow', 'deny'] })
  @IsIn(['allow', 'deny'])
  kind!: ListKind;

  @ApiProperty()
  @IsString()
  @MaxLength(64)
  @IsAddressOrCidr()
  cidr!: string;
}

export class EventsQueryDto {
  @ApiPropertyOptional({ default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
