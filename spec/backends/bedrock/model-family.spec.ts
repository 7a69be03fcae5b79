import { expect } from 'chai';
import { familyOfId, modelFamilies } from '../../../lib/backends/bedrock/index.js';

describe('backends/bedrock/model-family', () => {
  it('familyOfId: a foundation id, a cross-region profile or an ARN naming the model; an ARN that names none is other', () => {
    expect(familyOfId('anthropic.claude-sonnet-4-20250514-v1:0')).to.equal('anthropic');
    expect(familyOfId('global.anthropic.claude-sonnet-4-5-20250929-v1:0')).to.equal('anthropic');
    expect(familyOfId('arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0')).to.equal('anthropic');
    expect(familyOfId('us.amazon.nova-pro-v1:0')).to.equal('nova');
    expect(familyOfId('amazon.titan-text-express-v1')).to.equal('other');
    expect(familyOfId('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4')).to.equal('other');
  });

  it('modelFamilies: the first pattern written that matches the whole id wins, else what the id names', () => {
    const familyOf = modelFamilies({
      'arn:aws:bedrock:*:*:application-inference-profile/nova*': 'nova',
      'arn:aws:bedrock:*:*:application-inference-profile/*': 'anthropic',
      'arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc': 'anthropic',
      'anthropic.claude-instant-v1': 'other',
    });
    expect(familyOf('arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/nova1')).to.equal('nova');
    expect(familyOf('arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/a1b2')).to.equal('anthropic');
    expect(familyOf('arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc')).to.equal('anthropic');
    expect(familyOf('arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcd')).to.equal('other');
    expect(familyOf('anthropic.claude-instant-v1')).to.equal('other');
    expect(familyOf('us.amazon.nova-lite-v1:0')).to.equal('nova');
    expect(modelFamilies(undefined)('anthropic.claude-x')).to.equal('anthropic');
  });
});
